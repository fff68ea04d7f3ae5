/*
 * --decode-device requests (pool/decode_select.c): parse, then resolve
 * against a fixed host (a CPU, an NVDEC GPU, a GPU with NVENC, an Intel
 * GPU) for a source the fuzzer shapes. A request that parses keeps its
 * text; a resolution is 0 or, for a gpu or intel request, LADDER_ENODEVICE
 * with a reason; an NVDEC or QSV result names a GPU of that vendor the host
 * has.
 */
#include "fuzz.h"

#include "pool/decode_select.h"
#include "ladder/error.h"

static ladder_device_info gpu(int index, const char *uuid, bool nvenc)
{
    ladder_device_info d;
    memset(&d, 0, sizeof(d));
    d.kind = LADDER_DEVICE_NVIDIA;
    d.vendor_index = index;
    snprintf(d.name, sizeof(d.name), "GPU %d", index);
    snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
    d.role = nvenc ? LADDER_ROLE_ENCODE : LADDER_ROLE_DECODE_ONLY;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        d.decode[c].usable = c != LADDER_VIDEO_VP9 || nvenc;
        d.decode[c].max_width = d.decode[c].max_height = c == LADDER_VIDEO_H264 ? 4096 : 8192;
        d.decode[c].ten_bit = c != LADDER_VIDEO_H264;
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    static const char *const codecs[] = { "h264", "hevc", "av1", "vp9", "mpeg2video", "" };
    ladder_decode_source src = {
        .codec = codecs[fuzz_u8(&r) % 6],
        .width = (int)(fuzz_u32(&r) % 20000),
        .height = (int)(fuzz_u32(&r) % 20000),
        .bit_depth = 8 + fuzz_u8(&r) % 9,
        .chroma_420 = fuzz_u8(&r) & 1,
    };
    int nb_host = fuzz_u8(&r) % 5;
    char *text = fuzz_cstring(r.p, r.left);
    if (!text)
        return 0;
    ladder_device_info host[4] = {
        { .kind = LADDER_DEVICE_CPU, .cores = 8 },
        gpu(0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", false),
        gpu(1, "GPU-bbbbbbbb-0000-0000-0000-000000000000", true),
        gpu(0, "", true),
    };
    host[3].kind = LADDER_DEVICE_INTEL;     /* adapter 0, no UUID */
    ladder_decode_request req;
    char why[512];
    why[0] = '\0';
    if (ladder_decode_request_parse(text, &req, why, sizeof(why))) {
        FUZZ_CHECK(why[0] != '\0');
        free(text);
        return 0;
    }
    FUZZ_CHECK(!strcmp(req.text, text));
    FUZZ_CHECK(req.gpu >= -1);
    ladder_decode_device out;
    why[0] = '\0';
    int ret = ladder_decode_select(&req, host, nb_host, "libcuda.so.1 not found", &src, &out, why, sizeof(why));
    FUZZ_CHECK(ret == 0 || ret == LADDER_ENODEVICE);
    if (ret) {
        FUZZ_CHECK((req.kind == LADDER_DECODE_REQUEST_GPU || req.kind == LADDER_DECODE_REQUEST_INTEL) &&
                   why[0] != '\0');
    } else {
        FUZZ_CHECK(memchr(out.reason, '\0', sizeof(out.reason)) && memchr(out.name, '\0', sizeof(out.name)));
        if (out.kind == LADDER_DECODE_NVDEC) {
            FUZZ_CHECK(out.gpu == 0 || out.gpu == 1);
            FUZZ_CHECK(out.gpu + 2 <= nb_host);  /* GPU 0 is host[1], GPU 1 host[2] */
            FUZZ_CHECK(req.kind == LADDER_DECODE_REQUEST_GPU || req.kind == LADDER_DECODE_REQUEST_AUTO);
        }
        if (out.kind == LADDER_DECODE_QSV) {
            FUZZ_CHECK(out.gpu == 0 && nb_host == 4);
            FUZZ_CHECK(req.kind == LADDER_DECODE_REQUEST_INTEL || req.kind == LADDER_DECODE_REQUEST_AUTO);
        }
        if (req.kind == LADDER_DECODE_REQUEST_CPU)
            FUZZ_CHECK(out.kind == LADDER_DECODE_CPU);
    }
    free(text);
    return 0;
}
