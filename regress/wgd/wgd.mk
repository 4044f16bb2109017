# Programs for the namespace scenarios, built with everything else: a
# probe of wgd's UAPI code for t_wgd.sh, which runs it against real
# userspace WireGuard, and a compromised engine for t_hostile.sh, which
# drives the real innernet-wgd with it.

WGD_PROBE := $(B)/regress/uapi_probe
WGD_HOSTILE := $(B)/regress/hostile_wgd

$(WGD_PROBE): $(call obj,regress/wgd/uapi_probe.c \
	$(WG_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/obj/regress/wgd/uapi_probe.o: CFLAGS += -Iinnernet-wgd

$(WGD_HOSTILE): $(call obj,regress/wgd/hostile.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SODIUM) $(LIB_BSD)

all check: $(WGD_HOSTILE)
check: $(WGD_PROBE)
