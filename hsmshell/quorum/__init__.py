"""Quorum file formats and signatures: pure functions the shell and the emulator share.

    tokenfile   the token file getToken writes and approvers sign (format defined there)
    approval    approval files for approveToken: CMU's text format and a JSON bundle
    signatures  RSA-2048 PKCS#1 v1.5 SHA-256, as `openssl dgst -sha256 -sign` makes them
    ledger      counting approvals against M: the quorum state the policy step reads
    userfiles   bounded reads of the files a user names (the only I/O)

Nothing is imported here, so that importing one module (tokenfile, ledger) does not load
`cryptography` for commands that never verify a signature.
"""
