# innernet-dbd's database layer, driven directly on a scratch directory:
# everything of the program but main and the imsg dispatch (dbd.c).

UNIT_TESTS += $(B)/regress/test_db

$(B)/regress/test_db: $(call obj,regress/unit/test_db.c \
	$(DB_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SQLITE) $(LIB_JANSSON) \
		$(LIB_SODIUM) $(LIB_BSD)

$(B)/obj/regress/unit/test_db.o: CFLAGS += -Iinnernet-dbd

# libFuzzer target (regress/fuzz/fuzz.mk builds it with `make fuzz`): the
# database layer behind dbd's dispatch checks.
FZ		?= build-fuzz
fuzz_db_imsg_SRCS := $(DB_SRCS) \
	innernetd/util.c innernetd/log.c
fuzz_db_imsg_LIBS = $(LIB_SQLITE) $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_BSD)
$(FZ)/fuzz_db_imsg: FUZZ_CFLAGS += -Iinnernet-dbd
