# innernet-wgd's netlink and UAPI messages on bytes (golden requests,
# hand-made answers), the peer difference and the backend choice:
# everything of the program but main and the imsg dispatch (wgd.c).

UNIT_TESTS += $(B)/regress/test_genl

$(B)/regress/test_genl: $(call obj,regress/unit/test_genl.c \
	$(WG_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/obj/regress/unit/test_genl.o: CFLAGS += -Iinnernet-wgd

# The endpoint table behind the server's refresh (endpoints.c), over a
# made-up device, and the UAPI walk's decoding of keys.
UNIT_TESTS += $(B)/regress/test_endpoints

$(B)/regress/test_endpoints: $(call obj,regress/unit/test_endpoints.c \
	$(WG_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/obj/regress/unit/test_endpoints.o: CFLAGS += -Iinnernet-wgd
