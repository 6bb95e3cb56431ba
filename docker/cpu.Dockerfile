# hornet on the CPU: Debian 12 and scripts/setup.sh (the same packages as a
# development machine). Build from the repository root:
#   docker build -f docker/cpu.Dockerfile -t hornet:cpu .
#   docker run --rm hornet:cpu hornet-eval summary
FROM debian:12
WORKDIR /opt/hornet
COPY . .
RUN apt-get update \
 && scripts/setup.sh \
 && rm -rf /var/lib/apt/lists/* build/CMakeFiles
ENV PATH=/opt/hornet/build/bin:$PATH
CMD ["hornet-eval", "--summary"]
