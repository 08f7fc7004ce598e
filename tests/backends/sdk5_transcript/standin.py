"""A recorded-transcript stand-in for the real `cloudhsm-cli interactive`: for each command
line the reference (AWS's CloudHSM CLI pages) shows, it asks the password prompts the
reference shows and prints the reference's verbatim output (comma typos fixed). Lines it
does not know are answered as clap does. It records its argv and the passwords it was typed
into STANDIN_LOG, so a test can check that a password came through the terminal, never argv.
STANDIN_MODE: hang (never answers), die (exits at the first command), garbage (not JSON).
"""

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROMPT = "aws-cloudhsm > "
ONE = ["Enter password:"]
TWO = ["Enter password:", "Confirm password:"]
# command line -> (prompts, transcript file)
TRANSCRIPT = {
    "login --username admin1 --role admin": (ONE, "login.txt"),
    "logout": ([], "logout.txt"),
    "cluster activate": (TWO, "activate.txt"),
    "user create --username alice --role crypto-user": (TWO, "user_create.txt"),
    "user list": ([], "user_list.txt"),
    "cluster hsm-info": ([], "hsm_info.txt"),
    "key generate-symmetric aes --label example-aes --key-length-bytes 24": ([], "aes.txt"),
    "key list": ([], "key_list.txt"),
    "crypto sign rsa-pkcs --key-filter attr.label=rsa-private --hash-function sha256 --data YWJjMTIz":
        ([], "sign.txt"),
    "crypto verify rsa-pkcs --key-filter attr.label=rsa-public --hash-function sha256 --data YWJjMTIz "
    "--signature AAAA": ([], "verify_failed.txt"),
    "quorum token-sign list": ([], "token_list.txt"),
    "quorum token-sign delete --scope user": ([], "token_delete.txt"),
}


def log(entry: dict) -> None:
    path = os.environ.get("STANDIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def main() -> int:
    log({"argv": sys.argv})
    mode = os.environ.get("STANDIN_MODE", "")
    while True:
        sys.stdout.write(PROMPT)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if line == "quit":
            return 0
        if mode == "hang":
            time.sleep(600)
        if mode == "die":
            return 3
        if mode == "garbage":
            sys.stdout.write("Segmentation fault (core dumped) in libcloudhsm\n")
            continue
        if line not in TRANSCRIPT:
            sys.stdout.write(f"error: unrecognized command line '{line}'\n\nFor more information, try '--help'.\n")
            continue
        prompts, name = TRANSCRIPT[line]
        for prompt in prompts:
            sys.stdout.write(prompt)
            sys.stdout.flush()
            log({"prompt": prompt, "typed": sys.stdin.readline().rstrip("\n")})
            sys.stdout.write("\n")
        sys.stdout.write((HERE / name).read_text(encoding="utf-8"))
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
