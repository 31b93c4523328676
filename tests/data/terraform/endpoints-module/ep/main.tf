variable "vpc_id" {}
variable "subnet_ids" {}
variable "sg_id" {}
resource "aws_vpc_endpoint" "this" {
  for_each            = toset(["ssmmessages", "ec2messages"])
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.us-east-1.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [var.sg_id]
  private_dns_enabled = true
}
output "ids" { value = [for e in aws_vpc_endpoint.this : e.id] }
