"""Commands every backend runs the same way, on the client machine, with no HSM involved.

They are ordinary handlers `(cluster, args, secrets) -> Result` (the cluster is unused), so
they go through policy, secret resolution, confirmation and audit like any other command;
a backend merges HANDLERS into its own.
"""

from __future__ import annotations

from hsmshell.backends.result import Result
from hsmshell.quorum.tokenfile import MAX_TOKEN_FILE_BYTES, parse_token
from hsmshell.quorum.userfiles import read_user_file, write_user_file


def sign_token(cluster, args: dict, secrets: dict) -> Result:
    """signToken: what `openssl dgst -sha256 -sign KEY -out SIG TOKEN` does, in the shell."""
    from hsmshell.quorum.signatures import MAX_PEM_BYTES, sign_token as sign

    # the emulator's CommandRun during audit replay; other backends pass no cluster
    replayed = cluster.context.replay_input if cluster is not None else None
    if replayed:        # audit replay: the private key is not in the log, and nothing changed
        return Result("signToken", "signature", data=dict(replayed), replay=dict(replayed))
    body = read_user_file(args["token_file"], MAX_TOKEN_FILE_BYTES, "token file")
    token = parse_token(body)                    # signing anything else is a mistake
    private_pem = read_user_file(args["private_key"], MAX_PEM_BYTES, "private key")
    signature = sign(body, private_pem, secrets.get("passphrase"))
    if replayed is None:
        write_user_file(args["signature_file"], signature, "signature file")
    summary = {"token_id": token.token_id, "service": int(token.service),
               "service_name": token.service.name, "key_handle": token.key_handle,
               "signature_file": str(args["signature_file"]), "signature_bytes": len(signature)}
    return Result("signToken", "signature", data=summary, replay=dict(summary))


HANDLERS = {"signToken": sign_token}
