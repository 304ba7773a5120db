#!/usr/bin/python3
"""bench_crl_fill.py DB ISSUER NUM_SHARDS COUNT INDEX_TXT

Bulk-inserts COUNT revoked certificates of ISSUER into a fresh Catena
SQLite store (spread over shards exactly as catena_ca_shard_for_serial
does: the last four serial bytes, big-endian, modulo NUM_SHARDS) and writes
the same revocation set as an OpenSSL CA index.txt for "openssl ca
-gencrl" and "openssl ocsp -index".
"""
import os
import sqlite3
import sys
import time

db, issuer, num_shards, count, index_path = sys.argv[1:6]
num_shards, count = int(num_shards), int(count)
reasons = [(1, "keyCompromise"), (4, "superseded"), (5, "cessationOfOperation"),
           (3, "affiliationChanged"), (-1, None)]
now = int(time.time())
con = sqlite3.connect(db)
(issuer_id,) = con.execute("SELECT id FROM issuers WHERE name = ?",
                           (issuer,)).fetchone()
spki = bytes(32)


def utc(t):
    return time.strftime("%y%m%d%H%M%SZ", time.gmtime(t))


def rows(index):
    for i in range(count):
        # 1 prefix byte + 16 random-looking bytes, as the core issues them.
        serial = bytes([1]) + os.urandom(12) + i.to_bytes(4, "big")
        hexs = serial.hex()
        shard = int.from_bytes(serial[-4:], "big") % num_shards
        code, name = reasons[i % len(reasons)]
        revoked = now - 3600 - (i % 86400)
        not_after = now + 30 * 86400
        when = utc(revoked) + ("," + name if name else "")
        index.write("R\t%s\t%s\t%s\tunknown\t/CN=bench%d\n"
                    % (utc(not_after), when, hexs.upper(), i))
        yield (hexs, issuer_id, "tls-server", now - 86400, not_after, spki,
               2, revoked, code, shard, now)


with open(index_path, "w") as index:
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO certificates (serial, issuer_id, profile, not_before, "
        "not_after, spki_sha256, status, revoked_at, reason, shard, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows(index))
    con.commit()
con.close()
