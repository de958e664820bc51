# expect: 3: syntax error
domain "sales" {
  description =
  owners { accountable = "a@acme.example" }
}
