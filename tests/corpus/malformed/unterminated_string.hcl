# expect: 3: unterminated string
domain "sales" {
  description = "oops
  owners { accountable = "a@acme.example" }
}
