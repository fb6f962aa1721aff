#!/usr/bin/env uplane
Idle -> Discard;
