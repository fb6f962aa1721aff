require(package "uplane-ip", fastclassifier);
require(compact_config)
