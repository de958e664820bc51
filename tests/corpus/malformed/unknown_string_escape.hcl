# expect: 3: unknown escape sequence \q in a string
domain "sales" {
  description = "totals per \quarter"
  owners { accountable = "s@acme.example" }
}
