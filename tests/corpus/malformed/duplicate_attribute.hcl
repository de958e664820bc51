# expect: 4: duplicate attribute 'description'
domain "sales" {
  description = "one"
  description = "two"
  owners { accountable = "s@acme.example" }
}
