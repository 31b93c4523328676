# default-sg-trap: adopt the VPC's default group and admit HTTPS from the VPC.
resource "aws_default_security_group" "default" {
  vpc_id = "vpc-0c0f07f963f36e3da"
  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["10.0.0.0/16"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}
