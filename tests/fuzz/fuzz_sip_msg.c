/* tests/fuzz/fuzz_sip_msg.c - libFuzzer target: SIP decoder and encoder */
#include <stdlib.h>

#include "base/mem.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *msg = NULL, *rsp = NULL;
	struct buf *b = NULL, *mb = NULL;
	bool stream = size && (data[0] & 1);
	int err;

	if (!size || buf_alloc_copy(&b, data + 1, size - 1))
		return 0;
	err = sip_msg_decode(&msg, b, stream, NULL);
	if (err && sip_msg_decode_lenient(&msg, b, stream, NULL))
		goto out;
	/* the reply to a valid request with one Via is valid too */
	if (msg->req &&
	    !sip_resp_encode(&mb, msg, 400, NULL, "t", &msg->body, "X: %d\r\n",
	                     1) &&
	    sip_msg_decode(&rsp, mb, false, NULL) && !err &&
	    sip_msg_hdr_count(msg, SIP_HDR_VIA) == 1)
		abort();
out:
	mem_deref(rsp);
	mem_deref(mb);
	mem_deref(msg);
	mem_deref(b);
	return 0;
}
