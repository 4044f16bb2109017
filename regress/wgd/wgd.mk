# A probe of wgd's UAPI code for t_wgd.sh, which runs it against real
# userspace WireGuard in a namespace; built with everything else.

WGD_PROBE := $(B)/regress/uapi_probe

$(WGD_PROBE): $(call obj,regress/wgd/uapi_probe.c \
	$(filter-out innernet-wgd/wgd.c,$(WGD_SRCS)) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/obj/regress/wgd/uapi_probe.o: CFLAGS += -Iinnernet-wgd

check: $(WGD_PROBE)
