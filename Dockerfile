# Multi-stage build of the controller: a static-enough binary (rustls, no
# OpenSSL) on a distroless, non-root runtime image.
#   docker build -t nodepool-controller:0.1.0 .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked --bin nodepool-controller \
 && strip target/release/nodepool-controller

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/nodepool-controller /usr/local/bin/nodepool-controller
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/nodepool-controller"]
CMD ["run", "--leader-elect", "--log-format=json"]
