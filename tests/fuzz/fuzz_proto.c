// SPDX-License-Identifier: MIT
/* libFuzzer: the control-protocol request parser, which sees every byte a client sends. */
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req req;
	char err[256];

	proto_parse_request((const char *)data, size, &req, err, sizeof(err));
	proto_req_fini(&req);
	return 0;
}
