# The per-domain defaults: a bucket, a role, a Glue catalog, a secret. A domain's own
# module block may change the inputs; the policies stay least-privilege.

variable "domain" {
  description = "The domain, as mesh.domains[NAME]"
}

variable "bucket_prefix" {
  type    = string
  default = "meshctl"
}

variable "trusted_principal" {
  description = "Who may assume the domain's role (default: the account's administrators)"
  type        = string
  default     = ""
}

variable "versioning" {
  type    = bool
  default = true
}
