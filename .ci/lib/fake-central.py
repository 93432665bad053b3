"""A stand-in for the Central Publisher Portal on 127.0.0.1, for .ci/release-check: it takes the
bundle the central-publishing-maven-plugin uploads (POST /api/v1/publisher/upload, multipart) and
writes it to STAGING_DIR/central-bundle.zip, so the release runs to its last step without leaving the
machine. Usage: fake-central.py PORT_FILE STAGING_DIR (writes the port it listens on to PORT_FILE)."""
import email.parser
import email.policy
import http.server
import pathlib
import sys


class Portal(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if not self.path.startswith("/api/v1/publisher/upload"):
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "bundle":
                (pathlib.Path(sys.argv[2]) / "central-bundle.zip").write_bytes(part.get_payload(decode=True))
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ci-stand-in-deployment")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Portal)
pathlib.Path(sys.argv[1]).write_text(str(server.server_address[1]))
server.serve_forever()
