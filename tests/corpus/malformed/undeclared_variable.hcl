# expect: 5: reference to undeclared value 'environment'
variable "env" { default = "dev" }
domain "sales" {
  owners { accountable = "s@acme.example" }
  description = "sales in ${var.environment}"
}
