UNIT_TESTS += $(B)/regress/test_invite $(B)/regress/test_parser
CTL_TEST_SRCS := innernetctl/invite.c innernetctl/parser.c innernetd/util.c \
	innernetd/log.c
$(B)/regress/test_invite: $(call obj,regress/unit/test_invite.c \
	$(CTL_TEST_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_BSD)
$(B)/regress/test_parser: $(call obj,regress/unit/test_parser.c \
	$(CTL_TEST_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_BSD)
