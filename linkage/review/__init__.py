"""Clerical review: decide the uncertain links, audit the certain ones, and feed it all back.

`linkage review OUTPUT_DIR` (`command`) serves a local web application (`app`, Starlette on
uvicorn, 127.0.0.1 only, a random token in its URL, no request leaves the machine) over a
finished run, read-only.  The reviewer works through queues (`queues`) — possible matches,
conflicts, the largest and least cohesive clusters, and an audit sample — in a pair view and
a cluster view (`views`); each decision is appended at once, with fsync, to the labels file
beside the config (`store`, format in `linkage.link.labels`), which the next `linkage run`
honours.  The audit sample (`audit`) is a stratified random sample of linked pairs and
unlinked candidate pairs whose design is stored beside the labels, so its labels give
design-based estimates of precision and recall with 95 % intervals (`estimate`), which the
report shows as the reviewed quality of the run (`quality`).

Only `app` and `command` need the web stack; `linkage run` imports none of this package but
`quality` and what it reads (for the report section).
"""
