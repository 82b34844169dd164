"""Parts of the address normalizer (`linkage.normalize.addresses` is the entry point).

- `divisions`: the packaged NBS divisions, their spellings and code arithmetic;
- `head`: reading the administrative head (省 市 区 街道 社区) relationally;
- `numerals`: Chinese numerals → digits;
- `rules`: text cleaning, canonical rewrites and the components of the tail;
- `build_data`: builds linkage/data/admin/divisions.parquet from the shared data.
"""
