#!/bin/sh
# tests/data/tls/make-certs.sh - the TLS test certificates (committed as data)
# A small CA, a server certificate for 127.0.0.1/::1/localhost and a client
# certificate, all valid for 100 years. Run in this folder to renew them.
set -eu
cd "$(dirname "$0")"
DAYS=36500

ext() {
	printf '%s\n' "$@" >ext.cnf
}

openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$DAYS" \
	-subj "/O=impd test/CN=impd test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.pem

openssl ecparam -name prime256v1 -genkey -noout -out server.key
openssl req -new -key server.key -subj "/O=impd test/CN=localhost" \
	-out server.csr
ext "basicConstraints=CA:FALSE" \
	"keyUsage=critical,digitalSignature,keyEncipherment" \
	"extendedKeyUsage=serverAuth" \
	"subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-sha256 -days "$DAYS" -extfile ext.cnf -out server.pem

openssl ecparam -name prime256v1 -genkey -noout -out client.key
openssl req -new -key client.key -subj "/O=impd test/CN=client.test" \
	-out client.csr
ext "basicConstraints=CA:FALSE" \
	"keyUsage=critical,digitalSignature,keyEncipherment" \
	"extendedKeyUsage=clientAuth" \
	"subjectAltName=DNS:client.test"
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-sha256 -days "$DAYS" -extfile ext.cnf -out client.pem

rm -f server.csr client.csr ext.cnf ca.srl
chmod 644 ./*.key
