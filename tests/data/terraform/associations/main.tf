# partly-private: an ssmmessages endpoint given its subnets, group and policy by standalone
# association resources; a new network ACL (allow HTTPS out, replies in) moved onto the app
# subnet; a route and an ingress rule added to existing resources.
resource "aws_vpc_endpoint" "ssmmessages" {
  vpc_id              = "vpc-0348961dbf0c8c606"
  service_name        = "com.amazonaws.us-east-1.ssmmessages"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
}

resource "aws_vpc_endpoint_subnet_association" "a" {
  for_each        = toset(["subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"])
  vpc_endpoint_id = aws_vpc_endpoint.ssmmessages.id
  subnet_id       = each.key
}

resource "aws_vpc_endpoint_security_group_association" "endpoints" {
  vpc_endpoint_id             = aws_vpc_endpoint.ssmmessages.id
  security_group_id           = "sg-070e3c8f814f601d7"
  replace_default_association = true
}

resource "aws_vpc_endpoint_policy" "ssmmessages" {
  vpc_endpoint_id = aws_vpc_endpoint.ssmmessages.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = "sg-070e3c8f814f601d7"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "10.0.1.0/24"
}

resource "aws_network_acl" "app" {
  vpc_id = "vpc-0348961dbf0c8c606"
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "0.0.0.0/0"
    from_port  = 1024
    to_port    = 65535
  }
}

resource "aws_network_acl_association" "app" {
  network_acl_id = aws_network_acl.app.id
  subnet_id      = "subnet-0db5458934dc7da41"
}

resource "aws_route" "to_partner" {
  route_table_id         = "rtb-0dfeb02a3226550eb"
  destination_cidr_block = "10.99.0.0/16"
  nat_gateway_id         = "nat-0a1b2c3d4e5f60718"
}
