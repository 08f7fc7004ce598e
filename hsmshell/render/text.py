"""Fixed CloudHSM texts, verbatim from AWS's documentation, shared by the classic and rich renderers."""

CAUTION_BANNER = """*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************
"""
CONFIRM_QUESTION = "Do you want to continue(y/n)?"

# What CMU prints before a cluster-wide write; {name}({type}) on {n} nodes
PROGRESS = {
    "createUser": "Creating User {user}({user_type}) on {nodes} nodes",
    "deleteUser": "Deleting user {user}({user_type}) on {nodes} nodes",
    "changePswd": "Changing password for {user}({user_type}) on {nodes} nodes",
    "setMValue": "Setting M Value({m_value}) for {service} on {nodes} nodes",
}
