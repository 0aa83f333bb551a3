"""The checker: `validate` reads inputs (with `packager.inputs`) and releases (with
`packager.release`) and reports what breaks the contract; `checker` checks tables against
Table Schemas column by column."""
