"""Read-only HSM information: `info server N` and getHSMInfo."""

from __future__ import annotations

import zlib

from hsmshell.backends.emulator.cluster import EmulatedCluster, Hsm
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument

MODEL = "NITROX-III CNN35XX-NFBE"
FIRMWARE = ("3", "4")


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
    def on_hsm(hsm: Hsm) -> dict:
        users = cluster.conn.execute("SELECT COUNT(*) FROM users WHERE hsm_id = ?",
                                     (hsm.hsm_id,)).fetchone()[0]
        seed = zlib.crc32(hsm.hsm_id.encode())
        return {"info": {
            "Label": "cavium", "Model": MODEL, "Serial Number": hsm.serial,
            "HSM Flags": 0, "FIPS state": "2 [FIPS mode with single factor authentication]",
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
