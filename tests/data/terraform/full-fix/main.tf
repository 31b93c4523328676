# partly-private: everything the check asks for, the S3 route table given by an association.
locals { vpc_id = "vpc-0348961dbf0c8c606" }

resource "aws_vpc_endpoint" "interface" {
  for_each            = toset(["ssmmessages", "ec2messages"])
  vpc_id              = "vpc-0348961dbf0c8c606"
  service_name        = "com.amazonaws.us-east-1.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = ["subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"]
  security_group_ids  = ["sg-070e3c8f814f601d7"]
  private_dns_enabled = true
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
}

resource "aws_vpc_endpoint_route_table_association" "app" {
  vpc_endpoint_id = aws_vpc_endpoint.s3.id
  route_table_id  = "rtb-0dfeb02a3226550eb"
}
