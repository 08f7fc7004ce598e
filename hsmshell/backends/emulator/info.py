"""Read-only HSM information: `info server N` and getHSMInfo."""

from __future__ import annotations

import json
import zlib

from hsmshell.backends.emulator.cluster import EmulatedCluster, Hsm
from hsmshell.backends.result import Result
from hsmshell.backends.emulator.topology import HSM2M
from hsmshell.errors import HsmError, InvalidArgument

MODEL = "NITROX-III CNN35XX-NFBE"
FIRMWARE = ("3", "4")
FIPS_STATES = {"FIPS": "2 [FIPS mode with single factor authentication]",
               "NON_FIPS": "0 [non-FIPS mode with single factor authentication]"}


def cluster_type(db) -> tuple[str, str]:
    """(HSM type, mode) of a cluster, from its network settings; a cluster made before
    hsmshell modelled types is the hsm1.medium in FIPS mode it then said it was."""
    network = json.loads(db.meta("network", "{}") or "{}")
    return network.get("hsm_type", "hsm1.medium"), network.get("mode", "FIPS")


def require_hsm2m(db, what: str) -> None:
    """AWS offers `what` on hsm2m.medium clusters only."""
    hsm_type = cluster_type(db)[0]
    if hsm_type != HSM2M:
        raise HsmError(f"{what} is available on hsm2m.medium clusters only; this cluster's HSMs "
                       f"are {hsm_type}", reference="not-supported-by-hsm-type",
                       hint="hsmshell cluster create NAME --hsm-type hsm2m.medium")


def require_non_fips(db, what: str) -> None:
    """AWS offers `what` (Ed25519) on hsm2m.medium clusters in non-FIPS mode only."""
    require_hsm2m(db, what)
    if cluster_type(db)[1] != "NON_FIPS":
        raise HsmError(f"HSM Error: This operation violates the current configured/FIPS policies: "
                       f"{what} needs an hsm2m.medium cluster in NON_FIPS mode",
                       reference="fips-policy-violation",
                       hint="hsmshell cluster create NAME --hsm-type hsm2m.medium --mode NON_FIPS")


def server_info(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    hsm = cluster.hsm_by_server(args["server_id"])
    if hsm is None:
        count = len(cluster.hsms())
        raise InvalidArgument(f"no server {args['server_id']}: servers are 0..{count - 1}")
    login = (f"Logged in as '{cluster.principal.name}({cluster.principal.user_type})'"
             if cluster.principal else "Not logged in")
    return Result("info", "server_info", data={
        "server": hsm.server, "name": hsm.ip, "hostname": hsm.ip, "port": 2225,
        "state": "Connected" if hsm.reachable else "Disconnected", "partition": hsm.hsm_id,
        "login_state": login, "az": hsm.az, "hsm": hsm.hsm_id})


def hsm_info(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    fips_state = FIPS_STATES[cluster_type(cluster.db)[1]]

    def on_hsm(hsm: Hsm) -> dict:
        users = cluster.conn.execute("SELECT COUNT(*) FROM users WHERE hsm_id = ?",
                                     (hsm.hsm_id,)).fetchone()[0]
        seed = zlib.crc32(hsm.hsm_id.encode())
        return {"info": {
            "Label": "cavium", "Model": MODEL, "Serial Number": hsm.serial,
            "HSM Flags": 0, "FIPS state": fips_state,
            "Manufacturer ID": "", "Device ID": 10, "Class Code": 1048576,
            "System vendor ID": "177D", "SubSystem ID": 10,
            "TotalPublicMemory": 560596, "FreePublicMemory": 560596 - 64 * users,
            "TotalPrivateMemory": 0, "FreePrivateMemory": 0,
            "Hardware Major": 3, "Hardware Minor": 0,
            "Firmware Major": int(FIRMWARE[0]), "Firmware Minor": int(FIRMWARE[1]),
            "Temperature": f"{40 + seed % 10} C", "Build Number": 13,
            "Firmware ID": f"xxxxxxxxxxxxxx{seed % 100:02d}", "Availability Zone": hsm.az}}

    return Result("getHSMInfo", "hsm_info", servers=cluster.on_each(on_hsm))


HANDLERS = {"info": server_info, "getHSMInfo": hsm_info}
