# partly-private: ssmmessages and ec2messages endpoints from a module, their group from the root.
variable "vpc_id" { default = "vpc-0348961dbf0c8c606" }
variable "subnet_ids" { default = ["subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"] }

resource "aws_security_group" "endpoints" {
  name   = "ssm-endpoints"
  vpc_id = var.vpc_id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

module "ep" {
  source     = "./ep"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  sg_id      = aws_security_group.endpoints.id
}
