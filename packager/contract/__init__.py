"""What an article is: the Table Schemas and what is made from them (models, Arrow
schemas, field lists), the contract's rules, and the one step every input ends in
(`record.make_record`). Imports nothing else of packager but `packager.errors`."""
