# ssmreach in a container: `docker build -t ssmreach .`, then for example
#   docker run --rm -v "$PWD/snap:/snap:ro" ssmreach check --snapshot /snap
#   docker run --rm -e AWS_PROFILE -v "$HOME/.aws:/root/.aws:ro" ssmreach check --region eu-west-1
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /src
WORKDIR /work
ENTRYPOINT ["ssmreach"]
CMD ["--help"]
