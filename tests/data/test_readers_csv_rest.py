"""CsvSpec `"sparse": "rest"`, `ignore`, and the warning for a spec without sparse or dense fields."""
from __future__ import annotations

import json
import warnings

import pytest

from dephn.data.datasets import load_dataset
from dephn.data.readers.csv import CsvReader, CsvSpec
from dephn.errors import DataError, DataWarning, DephnError
from tests.data._reader_fixtures import read_all, write

DATA = "y1,id,y2,price,city,shop,conf\n1,7,0,3.5,paris,a,0.5\n0,8,0,,lyon,b,1\n1,9,1,10,,a,0\n"


def reader(tmp_path, **kw) -> CsvReader:
    base = dict(paths=[str(write(tmp_path, "d.csv", DATA))], tasks=["y1", "y2"], dense=["price"], sparse="rest")
    base.update(kw)
    return CsvReader(CsvSpec.from_dict(base))


def test_rest_is_every_column_not_named_elsewhere_in_header_order(tmp_path):
    r = reader(tmp_path, extras=["conf"], ignore=["id"])
    assert r.schema.sparse == ("city", "shop") and r.extras == ("conf",) and r.schema.dense == ("price",)
    assert r.spec.sparse == ("city", "shop") and r.spec.ignore == ("id",)
    assert read_all(r)["shop"].tolist() == ["a", "b", "a"]
    r = reader(tmp_path, dense=[3], tasks=[0, "y2"])          # positions count as named
    assert r.schema.sparse == ("id", "city", "shop", "conf")


def test_rest_in_json_and_a_column_called_rest(tmp_path):
    write(tmp_path, "d.csv", DATA)
    spec = write(tmp_path, "spec.json", json.dumps({"paths": ["d.csv"], "tasks": ["y1", "y2"], "dense": ["price"],
                                                    "sparse": "rest", "ignore": "id"}))
    r = CsvReader(spec)
    assert r.schema.sparse == ("city", "shop", "conf")
    assert CsvSpec.from_json(spec).sparse == "rest"
    with pytest.raises(DataError, match="missing column 'rest'"):    # a list names columns
        reader(tmp_path, sparse=["rest"])


def test_rest_needs_column_names(tmp_path):
    with pytest.raises(DephnError) as e:
        CsvSpec(paths=["x"], tasks=[0], sparse="rest", header=False)
    assert str(e.value).count("\n") == 0 and 'sparse "rest"' in str(e.value) and "header: true" in str(e.value)
    path = write(tmp_path, "n.tsv", "1\t2.5\tred\n0\t\tblue\n")
    r = CsvReader(dict(paths=[str(path)], sep="\t", header=False, names=["buy", "x", "colour"], tasks=["buy"],
                       dense=["x"], sparse="rest"))
    assert r.schema.sparse == ("colour",)


def test_ignore_and_rest_errors(tmp_path):
    with pytest.raises(DephnError, match=r"\['price'\] are both used and in ignore"):
        reader(tmp_path, ignore=["price"])
    with pytest.raises(DataError, match="missing column 'nope'"):
        reader(tmp_path, ignore=["nope"])
    with pytest.raises(DephnError, match="leaves no column"):
        reader(tmp_path, dense=[], ignore=["id", "price", "city", "shop", "conf"])


@pytest.mark.parametrize("kw, message", [
    (dict(sparse=[]), "0 sparse (categorical) fields: its 1 dense column(s) are the only features"),
    (dict(sparse=(), dense=["price", "conf"]), "0 sparse (categorical) fields: its 2 dense"),
    (dict(ignore=["id", "city", "shop", "conf"]), "0 sparse (categorical) fields"),   # rest resolves to nothing
    (dict(dense=[]), "0 dense (numeric) fields: its 5 sparse column(s) are the only features"),
])
def test_no_sparse_or_no_dense_field_warns_in_one_line(tmp_path, kw, message):
    with pytest.warns(DataWarning) as caught:
        r = reader(tmp_path, **kw)
    assert len(caught) == 1
    text = str(caught[0].message)
    assert message in text and "\n" not in text
    assert len(read_all(r)) == 3        # still valid: it loads


def test_a_spec_without_sparse_still_loads_but_warns(tmp_path):
    path = write(tmp_path, "d.csv", DATA)
    with pytest.warns(DataWarning, match="0 sparse"):
        r = CsvReader({"paths": [str(path)], "tasks": ["y1"], "dense": ["price"]})
    assert r.schema.sparse == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # both kinds of field: no warning
        reader(tmp_path)


def test_load_dataset_warns_on_every_call_cached_or_not(tmp_path):
    data = write(tmp_path, "d.csv", DATA)
    spec = write(tmp_path, "spec.json", json.dumps({"tasks": ["y1"], "dense": ["price", "conf"]}))
    for _ in range(2):                       # the build, then the cache hit
        with pytest.warns(DataWarning, match="0 sparse"):
            ds = load_dataset("csv", data, spec=spec, cache_dir=tmp_path / "cache", min_count=1)
        assert ds.schema.sparse == () and len(ds.schema.dense) == 2
