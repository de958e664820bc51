# expect: 3: number 1e999 is too large
locals {
  one_day_ms = 1e999
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
