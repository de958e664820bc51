# One product version of a team: its topic, its schema, who may read it, and its entry in
# the domain's AWS Glue catalog. The mesh's checks (the domain's policy, single writer,
# grants) apply to what this module declares exactly as to blocks at the root.

variable "domain" {
  description = "The owning domain (a name, not mesh.domains[...]: the product is declared before the mesh is built)"
  type        = string
}

variable "name" {
  description = "The product's name: <domain path>.<name>.v<version> is its topic"
  type        = string
}

variable "version" {
  type    = number
  default = 1
}

variable "kind" {
  description = "events, state, stream or table, as a data_product block's kind"
  type        = string
  default     = "events"
}

variable "description" {
  type    = string
  default = ""
}

variable "partitions" {
  type    = number
  default = 1
}

variable "topic_config" {
  description = "Kafka topic settings, e.g. { \"retention.ms\" = \"604800000\" }"
  type        = map(string)
  default     = {}
}

variable "schema_file" {
  description = "The value schema, a path from the mesh directory"
  type        = string
}

variable "schema_type" {
  type    = string
  default = "AVRO"
}

variable "compatibility" {
  type    = string
  default = "BACKWARD"
}

variable "readers" {
  description = "Domains granted read access to this version"
  type        = list(string)
  default     = []
}

variable "glue_database_prefix" {
  description = "The domain's Glue database is <prefix>_<domain slug>: domain-baseline's bucket_prefix"
  type        = string
  default     = "meshctl"
}
