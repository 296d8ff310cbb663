# Multi-stage build of the controller: a glibc binary with rustls (no OpenSSL) on a distroless,
# non-root runtime image. tests/image.rs checks this file against deploy/base, Cargo.toml,
# .dockerignore and the binary itself (no container engine needed); see docs/operations.md.
#   docker build -t nodepool-controller:0.1.0 .

# Debian 12 (bookworm), the same release and glibc as the runtime image below: a binary linked
# on a newer glibc may need symbols that the runtime image lacks.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is reused until Cargo.toml or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
RUN cargo fetch --locked
COPY src ./src
# --offline: everything was fetched above; a dependency missing there fails here, not later.
RUN cargo build --release --locked --offline --bin nodepool-controller \
 && strip target/release/nodepool-controller

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="nodepool-controller" \
      org.opencontainers.image.description="Kubernetes controller for Huawei Cloud CCE and Alibaba Cloud ACK node pools" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /src/target/release/nodepool-controller /usr/local/bin/nodepool-controller
# Numeric, so that the kubelet can verify runAsNonRoot without a passwd lookup.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/nodepool-controller"]
CMD ["run", "--leader-elect", "--log-format=json"]
