"""The mesh as a catalog: ODCS data contracts and Backstage entities (`meshctl export`). Pure."""
