-- LOGIN_FIELD=email looks accounts up by their email, ignoring case. Not a
-- unique index: emails were optional and never unique before, so existing
-- rows may share one; uniqueness is kept from now on by registration (and
-- email changes) checking under a lock, in email mode.
create index users_email_lower on users (lower(email));
