# expect: 3: unknown function 'lowercase'
domain "sales" {
  description = lowercase("SALES")
  owners { accountable = "s@acme.example" }
}
