# expect: 4: cannot interpolate a list into a string
locals { teams = ["a", "b"] }
domain "sales" {
  description = "owned by ${local.teams}"
  owners { accountable = "s@acme.example" }
}
