# The parent's hosts file section on real files.

UNIT_TESTS += $(B)/regress/test_hosts

$(B)/regress/test_hosts: $(call obj,regress/unit/test_hosts.c \
	innernetd/hosts.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SODIUM) $(LIB_BSD)

