elementclass E0 { input -> Counter -> output }
elementclass E1 { input -> E0 -> E0 -> output }
elementclass E2 { input -> E1 -> E1 -> output }
elementclass E3 { input -> E2 -> E2 -> output }
elementclass E4 { input -> E3 -> E3 -> output }
elementclass E5 { input -> E4 -> E4 -> output }
elementclass E6 { input -> E5 -> E5 -> output }
elementclass E7 { input -> E6 -> E6 -> output }
elementclass E8 { input -> E7 -> E7 -> output }
elementclass E9 { input -> E8 -> E8 -> output }
elementclass E10 { input -> E9 -> E9 -> output }
elementclass E11 { input -> E10 -> E10 -> output }
elementclass E12 { input -> E11 -> E11 -> output }
elementclass E13 { input -> E12 -> E12 -> output }
elementclass E14 { input -> E13 -> E13 -> output }
elementclass E15 { input -> E14 -> E14 -> output }
elementclass E16 { input -> E15 -> E15 -> output }
elementclass E17 { input -> E16 -> E16 -> output }
elementclass E18 { input -> E17 -> E17 -> output }
elementclass E19 { input -> E18 -> E18 -> output }
elementclass E20 { input -> E19 -> E19 -> output }
elementclass E21 { input -> E20 -> E20 -> output }
elementclass E22 { input -> E21 -> E21 -> output }
elementclass E23 { input -> E22 -> E22 -> output }
elementclass E24 { input -> E23 -> E23 -> output }
Idle -> E24 -> Discard;
