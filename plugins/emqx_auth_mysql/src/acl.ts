// mqtt_acl rows → ACL rules: the SDK's generic SQL code (packages/sdk/src/sqlauth.ts).
export { compileRows, AclRowError } from '@nemq/sdk';
