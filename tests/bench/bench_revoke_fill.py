#!/usr/bin/python3
"""bench_revoke_fill.py DB ISSUER COUNT LIST INDEX_TXT

Bulk-inserts COUNT issued (not revoked) certificates of ISSUER into a
Catena SQLite store, every tenth one replaced by a newer certificate,
writes their serials to LIST (the input of "catena revoke --serials-from")
and the same set as an OpenSSL CA index.txt (status V) for "openssl ca
-revoke".
"""
import os
import sqlite3
import sys
import time

db, issuer, count, list_path, index_path = sys.argv[1:6]
count = int(count)
now = int(time.time())
con = sqlite3.connect(db)
(issuer_id,) = con.execute("SELECT id FROM issuers WHERE name = ?",
                           (issuer,)).fetchone()


def utc(t):
    return time.strftime("%y%m%d%H%M%SZ", time.gmtime(t))


def rows(lst, index):
    not_after = now + 30 * 86400
    for i in range(count):
        # 1 prefix byte + 16 random-looking bytes, as the core issues them.
        serial = bytes([1]) + os.urandom(12) + i.to_bytes(4, "big")
        hexs = serial.hex()
        lst.write(hexs + "\n")
        index.write("V\t%s\t\t%s\tunknown\t/CN=bench\n"
                    % (utc(not_after), hexs.upper()))
        replaced_by = "02" + hexs[2:] if i % 10 == 0 else None
        yield (hexs, issuer_id, "tls-server", now - 86400, not_after,
               os.urandom(32), 1, i % 16, replaced_by, now)


with open(list_path, "w") as lst, open(index_path, "w") as index:
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO certificates (serial, issuer_id, profile, not_before, "
        "not_after, spki_sha256, status, shard, replaced_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows(lst, index))
    con.commit()
con.close()
