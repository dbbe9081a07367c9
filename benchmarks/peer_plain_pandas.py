"""The peer an analyst would write: bare counting, no validation (benchmark baseline only).

Reads the CSV, counts persons with need = 1 by kommune, age group and category for each indicator,
adds fylke / KOSTRA group / land totals and writes one CSV.  Usage: peer_plain_pandas.py IN OUT KOSTRA
"""

import sys

import pandas as pd

src, dst, kostra = sys.argv[1], sys.argv[2], sys.argv[3]
df = pd.read_csv(src, dtype={"kommunenr": str})
groups = pd.read_csv(kostra, dtype=str).set_index("kommunenr")["kostragruppe"]
df["alder"] = df["aar"] - df["fodselsaar"]
df["aldersgruppe"] = pd.cut(df["alder"], [-1, 17, 66, 200], labels=["0-17", "18-66", "67+"])
out = []
for need, rec in (("kode_09", "kode_10"), ("kode_11", "kode_12"), ("kode_13", "kode_14"), ("kode_15", "kode_16")):
    d = df[df[need] == 1]
    kat = d[rec].fillna(0).astype(int)
    c = d.groupby(["aar", "kommunenr", "aldersgruppe", kat], observed=True).size().rename("antall").reset_index()
    c = c.rename(columns={rec: "kategori"})
    parts = [c.assign(region=c["kommunenr"])]
    parts.append(c.assign(region="EKA" + c["kommunenr"].str[:2]))
    parts.append(c.assign(region=c["kommunenr"].map(groups)))
    parts.append(c.assign(region="EAK"))
    t = pd.concat(parts).groupby(["aar", "region", "aldersgruppe", "kategori"], observed=True)["antall"].sum()
    out.append(t.reset_index().assign(indikator=need))
pd.concat(out).to_csv(dst, index=False)
