"""The certificate types of getCert (AWS's cloudhsm_mgmt_util-getCert and key_mgmt_util-getCert)."""

CERTIFICATE_TYPES = {1: "manufacturer root", 2: "manufacturer hardware", 4: "customer root",
                     8: "cluster (signed by the customer root)",
                     16: "HSM (chained to the manufacturer root)"}
