"""`hsmshell emulate cmu|kmu`: terminal programs that behave as cloudhsm_mgmt_util and
key_mgmt_util do (AWS's cloudhsm_mgmt_util pages, AWS's key_mgmt_util pages), on an emulated cluster.

They are the HSM side: every line goes through the usual pipeline (parse -> policy -> backend
-> render -> audit), but with a policy that allows every action, so only the emulated HSM's
own rules (firmware.py, quorum enforcement) decide, as they would on a real cluster. Plain
line-oriented programs: they read stdin a line at a time and write stdout, so they work under
a pty (expect, pexpect, the cloudhsm backend) and with pipes alike.
"""
