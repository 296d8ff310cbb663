# Provider versions the Terraform harness builds and tests. Sourced, not run.
# shellcheck shell=bash
HUAWEICLOUD_MODULE=github.com/huaweicloud/terraform-provider-huaweicloud
HUAWEICLOUD_VERSION=v1.73.0
ALICLOUD_MODULE=github.com/aliyun/terraform-provider-alicloud
ALICLOUD_VERSION=v1.240.0
# The CLI built when no `terraform` is on PATH (tests/terraform/cli.sh): OpenTofu, the open-source
# fork of Terraform. Terraform itself cannot be built from the Go module proxy (its module zip
# leaves out the nested modules its go.mod replaces with local directories).
OPENTOFU_MODULE=github.com/opentofu/opentofu
OPENTOFU_VERSION=v1.10.7
