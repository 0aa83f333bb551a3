"""How a release is made: the parsing fan-out (`parsing`: chunks of pages on an `Engine`,
tables read beside them), the spool with its dedup and release order (`spool`), and
`build_release`, which writes a release into a work folder and renames it into place
(`release`). Uses `packager.inputs` and `packager.release`; nothing uses it but the CLI."""
