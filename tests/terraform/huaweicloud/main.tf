# CCE node pools with the huaweicloud provider, pointed at a custom CCE endpoint
# (the simulator in tests; the real regional endpoint when `endpoint` is unset).
# Used by tests/terraform/run.sh, the migration test and the Terraform benchmark.
terraform {
  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
    }
  }
}

variable "endpoint" {
  description = "CCE endpoint, e.g. http://127.0.0.1:18080"
  type        = string
}
variable "access_key" {
  type = string
}
variable "secret_key" {
  type      = string
  sensitive = true
}
variable "region" {
  type    = string
  default = "cn-north-4"
}
variable "project_id" {
  type = string
}
variable "domain_id" {
  description = "Account (domain) ID; given so that the provider needs no IAM lookup"
  type        = string
  default     = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
}
variable "cluster_ids" {
  description = "CCE clusters; pool i goes to cluster i mod len"
  type        = list(string)
}
variable "pools" {
  type    = number
  default = 1
}
variable "name_prefix" {
  type    = string
  default = "tf-pool"
}
variable "node_count" {
  type    = number
  default = 1
}
variable "max_node_count" {
  description = "Autoscaling upper bound (the second field the update test changes)"
  type        = number
  default     = 3
}
variable "team" {
  description = "Value of the pool's `team` resource tag"
  type        = string
  default     = "web"
}
# Pools whose node count is changed without changing the others (the change-one-pool benchmark).
variable "node_count_overrides" {
  type    = map(number)
  default = {}
}

provider "huaweicloud" {
  region     = var.region
  project_id = var.project_id
  domain_id  = var.domain_id
  access_key = var.access_key
  secret_key = var.secret_key
  endpoints = {
    cce = var.endpoint
  }
}

resource "huaweicloud_cce_node_pool" "pool" {
  count              = var.pools
  cluster_id         = var.cluster_ids[count.index % length(var.cluster_ids)]
  name               = format("%s-%05d", var.name_prefix, count.index)
  os                 = "EulerOS 2.9"
  flavor_id          = "s6.large.2"
  availability_zone  = "${var.region}a"
  key_pair           = "tf-keypair"
  initial_node_count = lookup(var.node_count_overrides, tostring(count.index), var.node_count)
  scall_enable       = false
  min_node_count     = 0
  max_node_count     = var.max_node_count
  type               = "vm"

  root_volume {
    size       = 40
    volumetype = "SSD"
  }
  data_volumes {
    size       = 100
    volumetype = "SSD"
  }

  tags = {
    managed-by = "terraform"
    team       = var.team
  }
}
